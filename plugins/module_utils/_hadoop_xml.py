# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Hadoop-style XML configuration files (``<configuration><property><name/><value/></property>``),
such as ``conf/ssl-server.xml`` of older MapR releases.

Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from xml.etree import ElementTree

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError


def parse_hadoop_xml(text, path=None):
    """``{name: value}`` of every ``property``; a repeated name keeps its last value, as Hadoop does.

    The error of a malformed file names the line, never the content: such files hold passwords.
    """
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise CrossclusterError("declares a DOCTYPE or entities, which a configuration file has no use for",
                                path=path, fix="remove the declaration")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as err:
        raise CrossclusterError("is not well-formed XML (%s)" % err.msg.split(":")[0], path=path,
                                line=err.position[0], fix="correct the XML of the file")
    if root.tag != "configuration":
        # The element's name is not shown: it is text of a file that holds passwords.
        raise CrossclusterError("its root element is not <configuration>", path=path,
                                fix="check that the path names a Hadoop-style configuration file")
    values = {}
    for prop in root.findall("property"):
        name = (prop.findtext("name") or "").strip()
        if name:
            values[name] = prop.findtext("value") or ""
    return values

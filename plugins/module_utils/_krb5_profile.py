# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""MIT krb5 profile files (krb5.conf, kdc.conf): parse, edit what this collection owns, render.

Every line is kept as read, text and line ending, so a file renders back byte-identical unless an
edit touched it, and an edit rewrites only the lines of the tag it sets. Comments, blank lines,
``include``/``includedir``/``module`` directives, unknown sections and relations, quoting and the
final ``*`` markers of lines nobody edits are carried untouched.

The syntax follows MIT's own parser (``util/profile/prof_parse.c``): a comment is a line whose
first non-blank character is ``#`` or ``;``; a relation is ``tag = value`` (the tag is one word,
a value may be a quoted string); ``tag = {`` or ``tag =`` followed by a line starting with ``{``
opens a subsection that a line starting with ``}`` closes; ``include``/``includedir`` must start
in the first column. Where MIT fails (``[`` inside a subsection, a ``}`` that closes nothing, a
line that is no relation, a missing ``{``, a bad section header), this codec fails on the same
line. It is stricter in two cases MIT silently accepts, because both lose configuration without
a word: text before the first section (MIT ignores it) and a subsection still open at the end of
the file (MIT swallows the rest of the file into it).

Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_LINE,
    MAX_NAME,
    check_line,
    excerpt,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._line_file import (
    BLANKS,
    newline_of,
    render_lines,
    split_lines,
)

# BLANKS (from line_file) is what C's isspace() skips in MIT's parser; str.strip() would also strip
# Unicode spaces MIT keeps.
# MIT's documentation indents 4 spaces per level; used only when the file shows no style of its own.
DEFAULT_INDENT = "    "

REALMS = "realms"
DOMAIN_REALM = "domain_realm"
CAPATHS = "capaths"
# In [capaths], a server realm whose value is "." is reached directly, with no intermediate realm.
DIRECT = "."

BLANK = "blank"
COMMENT = "comment"
DIRECTIVE = "directive"
HEADER = "header"
RELATION = "relation"
OPENER = "opener"
BRACE = "brace"
CLOSER = "closer"


class Line:
    """One line as read (``text`` without its ``ending``) and what it is."""

    __slots__ = ("text", "ending", "number", "kind", "tag", "raw_tag", "value")

    def __init__(self, text, ending, number=None, kind=None, tag=None, raw_tag=None, value=None):
        self.text = text
        self.ending = ending
        self.number = number  # 1-based line in the file as read; None for lines an edit added
        self.kind = kind
        self.tag = tag  # without a final "*" marker
        self.raw_tag = raw_tag  # as written, with its "*" if any
        self.value = value  # unquoted

    @property
    def indent(self):
        return self.text[:len(self.text) - len(self.text.lstrip(BLANKS))]


class Node:
    """The file (depth 0), a ``[section]`` (depth 1) or a ``tag = {`` ... ``}`` subsection (2+).

    ``heads`` are the header or opener lines (an opener may take two: ``tag =`` then ``{``),
    ``items`` the lines and subsections inside, in file order, ``closer`` the ``}`` line.
    """

    def __init__(self, name, heads, parent):
        self.name = name
        self.heads = heads
        self.items = []
        self.closer = None
        self.parent = parent
        self.depth = 0 if parent is None else parent.depth + 1

    @property
    def number(self):
        return self.heads[0].number if self.heads else None

    @property
    def indent(self):
        return self.heads[0].indent if self.heads else ""

    def lines(self):
        yield from self.heads
        for item in self.items:
            if isinstance(item, Node):
                yield from item.lines()
            else:
                yield item
        if self.closer is not None:
            yield self.closer

    def subsections(self, tag):
        return [item for item in self.items if isinstance(item, Node) and item.name == tag]

    def relations(self, tag=None):
        return [item for item in self.items
                if isinstance(item, Line) and item.kind == RELATION and (tag is None or item.tag == tag)]

    def content(self):
        """Relations and subsections: what indentation and insertion points are judged by."""
        return [item for item in self.items if isinstance(item, Node) or item.kind == RELATION]

    def is_empty(self):
        return all(isinstance(item, Line) and item.kind == BLANK for item in self.items)


def _fail(path, line, problem, fix):
    raise CrossclusterError(problem, path=path, line=line, fix=fix)


def unquote(text):
    """The value of a quoted string whose opening quote is already removed (MIT's escapes)."""
    out = []
    i = 0
    while i < len(text) and text[i] != '"':
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            i += 1
            char = {"n": "\n", "t": "\t", "b": "\b"}.get(text[i], text[i])
        out.append(char)
        i += 1
    return "".join(out)


def quote(value):
    """``value`` as it must be written after ``tag = `` so that MIT reads it back unchanged."""
    needs = (value == "" or value[0] in BLANKS or value[-1] in BLANKS or value[0] == '"'
             or any(char in value for char in "\n\t\b")
             # A bare "{" would open a subsection instead of being a value.
             or (value[0] == "{" and not value[1:].strip(BLANKS)))
    if not needs:
        return value
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t").replace("\b", "\\b"))
    return '"%s"' % escaped


def check_tag(tag, what):
    """Refuse a name that MIT would not read back as the same tag (realm and domain names)."""
    if not isinstance(tag, str) or not tag:
        raise CrossclusterError("%s is empty" % what, fix="give a name")
    check_line(tag, what, MAX_NAME)
    if any(char in BLANKS for char in tag) or "=" in tag or "*" in tag or tag[0] in '[}#;"':
        raise CrossclusterError(
            "%s %s cannot be a krb5.conf tag (no blanks, '=' or '*', and no leading '[', '}', '#', ';' or '\"')"
            % (what, excerpt(tag)), fix="correct the name")
    return tag


def check_word(value, what):
    """Refuse a host or realm value with blanks: MIT would read it, but no KDC lookup could use it."""
    check_line(value, what, MAX_LINE)
    if not isinstance(value, str) or not value or any(char in BLANKS for char in value):
        raise CrossclusterError("%s %s must be one word, not empty and without blanks" % (what, excerpt(value)),
                                fix="correct the value")
    return value


def _starts_with_word(text, word):
    return text.startswith(word) and len(text) > len(word) and text[len(word)] in BLANKS


def _is_directive(text):
    # MIT honours these only at the very start of a line, in any state.
    return _starts_with_word(text, "include") or _starts_with_word(text, "includedir")


def _pop_trailing_blanks(node, limit=None):
    """Remove and return the blank lines that end ``node``'s items (at most ``limit``)."""
    popped = []
    while node.items and isinstance(node.items[-1], Line) and node.items[-1].kind == BLANK:
        if limit is not None and len(popped) >= limit:
            break
        popped.insert(0, node.items.pop())
    return popped


def _most_common(indents):
    # Counter keeps first-seen order among equals, so ties go to the first style in the file.
    return collections.Counter(indents).most_common(1)[0][0]


class Profile:
    """A parsed profile file: read it, edit the [realms], [domain_realm] and [capaths] it owns."""

    def __init__(self, text, root, path=None):
        self._text = text
        self.root = root
        self.path = path
        self.newline = newline_of(split_lines(text))

    @classmethod
    def parse(cls, text, path=None):
        return cls(text, _Parser(path).parse(text), path)

    def render(self):
        pairs = [(line.text, line.ending) for line in self.root.lines()]
        return render_lines(pairs, self._text)

    # Reading ---------------------------------------------------------------------------------

    def sections(self, name=None):
        return [item for item in self.root.items if isinstance(item, Node) and (name is None or item.name == name)]

    def nodes(self, section, path=()):
        """Every subsection at ``section`` / ``path`` (a name may repeat; MIT merges them all)."""
        found = self.sections(section)
        where = "[%s]" % section
        for name in path:
            below = []
            for node in found:
                for line in node.relations(name):
                    _fail(self.path, line.number,
                          "%s is a value here, but in %s it must be a subsection" % (
                              excerpt(name), excerpt(where, quoted=False)),
                          "write it as '%s = {' ... '}' (or remove the line)" % excerpt(name, quoted=False))
                below.extend(node.subsections(name))
            found = below
            where += " %s" % name
        return found

    def values(self, section, path, tag):
        """The values of ``tag`` at ``section`` / ``path``, in file order."""
        return [line.value for node in self.nodes(section, path) for line in node.relations(tag)]

    def relations(self, section, path=()):
        """``[tag, value]`` pairs at ``section`` / ``path``, in file order (subsections left out)."""
        return [[line.tag, line.value] for node in self.nodes(section, path) for line in node.relations()]

    def subsection_names(self, section, path=()):
        names = []
        for node in self.nodes(section, path):
            for item in node.items:
                if isinstance(item, Node) and item.name not in names:
                    names.append(item.name)
        return names

    # Generic edits ---------------------------------------------------------------------------

    def set_values(self, section, path, tag, values):
        """Make ``tag`` at ``section`` / ``path`` hold exactly ``values``; True when that changed.

        The tag's lines are replaced where the first of them stands (with its indentation and
        final marker); without any, new lines go after the last relation of the subsection,
        creating the subsection (and the section) when missing. An empty list removes the tag.
        """
        for name in tuple(path) + (tag,):
            check_tag(name, "name")
        values = list(values)
        nodes = self.nodes(section, path)
        placed = []
        for node in nodes:
            for sub in node.subsections(tag):
                _fail(self.path, sub.number,
                      "%s opens a subsection here, but it must be a value (%s = value)" % (
                          excerpt(tag), excerpt(tag, quoted=False)),
                      "replace the subsection with '%s = value' lines" % excerpt(tag, quoted=False))
            placed.extend((node, line) for line in node.relations(tag))
        if [line.value for _node, line in placed] == values:
            return False
        if placed:
            node, first = placed[0]
            where = node.items.index(first)
            indent, raw_tag = first.indent, first.raw_tag
            for owner, line in placed:
                owner.items.remove(line)
        else:
            node = nodes[0] if nodes else self._create(section, path)
            where = self._insert_at(node)
            indent, raw_tag = self._child_indent(node), tag
        node.items[where:where] = [self._relation(indent, raw_tag, tag, value) for value in values]
        return True

    def remove_values(self, section, path, tag, value=None):
        """Remove ``tag`` (only the lines whose value is ``value``, when given); True when any went.

        A subsection or section left with nothing but blank lines goes too, so that adding and
        then removing the same thing gives the original file back.
        """
        changed = False
        for node in self.nodes(section, path):
            doomed = [line for line in node.relations(tag) if value is None or line.value == value]
            for line in doomed:
                node.items.remove(line)
            if doomed:
                changed = True
                self._prune(node)
        return changed

    def remove_subsection(self, section, path):
        """Remove every subsection at ``section`` / ``path``; True when there was one."""
        nodes = self.nodes(section, path)
        for node in nodes:
            parent = node.parent
            self._detach(node)
            self._prune(parent)
        return bool(nodes)

    # krb5.conf: [realms], [domain_realm], [capaths] ------------------------------------------

    def realm(self, realm):
        """``{tag: [values]}`` of the realm's subsection in [realms]; None when it has none."""
        nodes = self.nodes(REALMS, (realm,))
        if not nodes:
            return None
        found = collections.OrderedDict()
        for node in nodes:
            for line in node.relations():
                found.setdefault(line.tag, []).append(line.value)
        return dict(found)

    def set_realm_values(self, realm, tag, values):
        """Set a tag of the realm's subsection, e.g. ``kdc`` or ``admin_server``."""
        check_tag(realm, "realm")
        return self.set_values(REALMS, (realm,), tag, values)

    def remove_realm(self, realm):
        check_tag(realm, "realm")
        return self.remove_subsection(REALMS, (realm,))

    def domain_realm(self):
        """``[domain, realm]`` pairs of [domain_realm], in file order."""
        return self.relations(DOMAIN_REALM)

    def set_domain_realm(self, domain, realm):
        check_tag(domain, "domain")
        return self.set_values(DOMAIN_REALM, (), domain, [realm])

    def remove_domain_realm(self, domain, realm=None):
        """Remove the mapping of ``domain`` (only when it maps to ``realm``, when given)."""
        check_tag(domain, "domain")
        return self.remove_values(DOMAIN_REALM, (), domain, value=realm)

    def capaths(self):
        """Every path of [capaths]: ``{client_realm, server_realm, via}``, ``via`` empty when direct."""
        paths = []
        for client in self.subsection_names(CAPATHS):
            servers = collections.OrderedDict()
            for server, value in self.relations(CAPATHS, (client,)):
                servers.setdefault(server, [])
                if value != DIRECT:
                    servers[server].append(value)
            paths.extend(dict(client_realm=client, server_realm=server, via=via) for server, via in servers.items())
        return paths

    def set_capath(self, client_realm, server_realm, via=()):
        """Clients of ``client_realm`` reach ``server_realm`` through ``via`` in order (direct if empty)."""
        check_tag(client_realm, "client realm")
        check_tag(server_realm, "server realm")
        hops = [hop for hop in via if hop != DIRECT] or [DIRECT]
        return self.set_values(CAPATHS, (client_realm,), server_realm, hops)

    def remove_capath(self, client_realm, server_realm):
        check_tag(client_realm, "client realm")
        check_tag(server_realm, "server realm")
        return self.remove_values(CAPATHS, (client_realm,), server_realm)

    # Building blocks -------------------------------------------------------------------------

    def _relation(self, indent, raw_tag, tag, value):
        return Line("%s%s = %s" % (indent, raw_tag, quote(value)), self.newline, kind=RELATION, tag=tag,
                    raw_tag=raw_tag, value=value)

    def _create(self, section, path):
        """The first subsection at ``section`` / ``path``, made (with its parents) where missing."""
        sections = self.sections(section)
        if sections:
            node = sections[0]
        else:
            # The new section follows the last line that is not blank, set apart by one blank line;
            # blank lines that ended the file still end it. _detach undoes exactly this.
            holder = self._last_holder()
            trailing = _pop_trailing_blanks(holder)
            if any(True for _line in self.root.lines()):
                holder.items.append(Line("", self.newline, kind=BLANK))
            node = Node(section, [Line("[%s]" % section, self.newline, kind=HEADER)], self.root)
            node.items.extend(trailing)
            self.root.items.append(node)
        for name in path:
            existing = node.subsections(name)
            if existing:
                node = existing[0]
                continue
            indent = self._child_indent(node)
            sub = Node(name, [Line("%s%s = {" % (indent, name), self.newline, kind=OPENER, tag=name, raw_tag=name)],
                       node)
            sub.closer = Line(indent + "}", self.newline, kind=CLOSER)
            node.items.insert(self._insert_at(node), sub)
            node = sub
        return node

    @staticmethod
    def _insert_at(node):
        """After the node's last relation or subsection: trailing comments usually introduce what
        follows. With none, after its last comment; with none either, first."""
        for wanted in (lambda item: isinstance(item, Node) or item.kind == RELATION,
                       lambda item: isinstance(item, Node) or item.kind != BLANK):
            for index in range(len(node.items) - 1, -1, -1):
                if wanted(node.items[index]):
                    return index + 1
        return 0

    def _child_indent(self, node):
        """Indentation for a new line in ``node``: as its own relations are indented, else as
        the file indents that level, else MIT's 4 spaces per level."""
        own = [item.indent for item in node.content()]
        if own:
            return _most_common(own)
        section_level = [item.indent for section in self.sections() for item in section.content()]
        if node.depth == 1:
            return _most_common(section_level) if section_level else DEFAULT_INDENT
        steps = []
        for sub in self._all_subsections():
            for item in sub.content():
                if item.indent.startswith(sub.indent) and len(item.indent) > len(sub.indent):
                    steps.append(item.indent[len(sub.indent):])
        if steps:
            return node.indent + _most_common(steps)
        step = _most_common(section_level) if section_level else ""
        return node.indent + (step or DEFAULT_INDENT)

    def _all_subsections(self):
        pending = list(self.sections())
        while pending:
            node = pending.pop(0)
            subs = [item for item in node.items if isinstance(item, Node)]
            pending.extend(subs)
            if node.depth > 1:
                yield node

    def _last_holder(self):
        """The node whose items end the file: the last section, or the file itself."""
        last = self.root.items[-1] if self.root.items else None
        return last if isinstance(last, Node) else self.root

    def _detach(self, node):
        parent = node.parent
        index = parent.items.index(node)
        del parent.items[index]
        if node.depth == 1 and index == len(parent.items):
            # The file's last section went: drop the blank line that set it apart and keep the
            # blank lines that ended the file (see _create).
            holder = self._last_holder()
            _pop_trailing_blanks(holder, limit=1)
            holder.items.extend(_pop_trailing_blanks(node))

    def _prune(self, node):
        while node.depth > 0 and node.is_empty():
            parent = node.parent
            self._detach(node)
            node = parent


class _Parser:
    """MIT's parse, line by line, into Nodes; every error names the line and the fix."""

    def __init__(self, path):
        self.path = path

    def parse(self, text):
        root = Node(None, [], None)
        node = root
        pending = None  # a subsection written 'tag =' whose '{' must be on the next line
        for number, (content, ending) in enumerate(split_lines(text), 1):
            line = Line(content, ending, number)
            stripped = content.lstrip(BLANKS)
            if pending is not None:
                if not stripped.startswith("{"):
                    _fail(self.path, number,
                          "'%s =' on line %d opens a subsection, so this line must start with '{'"
                          % (excerpt(pending.name, quoted=False), pending.number),
                          "put '{' at the end of line %d or on this line, or give %s a value"
                          % (pending.number, excerpt(pending.name, quoted=False)))
                line.kind = BRACE
                pending.heads.append(line)
                pending = None
                continue
            if _is_directive(content):
                line.kind = DIRECTIVE
                node.items.append(line)
                continue
            if node is root and not content.startswith("["):
                node.items.append(self._before_sections(line, stripped))
                continue
            if not stripped:
                line.kind = BLANK
            elif stripped[0] in "#;":
                line.kind = COMMENT
            elif stripped[0] == "[":
                node = self._section(line, stripped, node, root)
                continue
            elif stripped[0] == "}":
                if node.depth < 2:
                    _fail(self.path, number, "'}' closes no subsection (unbalanced braces)",
                          "remove it, or add the 'tag = {' line it should close")
                line.kind = CLOSER
                node.closer = line
                node = node.parent
                continue
            else:
                has_brace = self._relation(line, stripped)
                if line.kind == OPENER:
                    sub = Node(line.tag, [line], node)
                    node.items.append(sub)
                    node = sub
                    if not has_brace:
                        pending = sub
                    continue
            node.items.append(line)
        if pending is not None:
            name = excerpt(pending.name, quoted=False)
            _fail(self.path, pending.number, "'%s =' opens a subsection but the file ends" % name,
                  "give %s a value, or add its '{' ... '}'" % name)
        if node.depth > 1:
            _fail(self.path, node.number, "subsection %s is never closed (unbalanced braces)" % excerpt(node.name),
                  "add a line with '}' where it ends (MIT would read the rest of the file into it)")
        return root

    def _before_sections(self, line, stripped):
        if not stripped:
            line.kind = BLANK
        elif stripped[0] in "#;":
            line.kind = COMMENT
        elif _starts_with_word(line.text, "module"):
            line.kind = DIRECTIVE
        elif stripped[0] == "[":
            _fail(self.path, line.number, "the first section header is indented, so MIT ignores it",
                  "start %s in the first column" % excerpt(stripped.rstrip(BLANKS)))
        else:
            _fail(self.path, line.number,
                  "%s is outside any section, so MIT ignores it" % excerpt(stripped.rstrip(BLANKS)),
                  "move it below a [section] header, or make it a comment with '#'")
        return line

    def _section(self, line, stripped, node, root):
        if node.depth > 1:
            _fail(self.path, line.number,
                  "section header inside subsection %s opened on line %d (unbalanced braces)"
                  % (excerpt(node.name), node.number),
                  "close the subsection with '}' before this line")
        end = stripped.find("]")
        if end < 0:
            _fail(self.path, line.number, "section header has no closing ']'", "write it as [name]")
        rest = stripped[end + 1:]
        if rest.startswith("*"):
            rest = rest[1:]
        if rest.strip(BLANKS):
            _fail(self.path, line.number, "text %s after the section header" % excerpt(rest.strip(BLANKS)),
                  "remove it, or put it on a line of its own")
        line.kind = HEADER
        section = Node(stripped[1:end], [line], root)
        root.items.append(section)
        return section

    def _relation(self, line, stripped):
        equals = stripped.find("=")
        if equals < 0:
            _fail(self.path, line.number,
                  "%s is no relation ('tag = value'), section header, '}' or comment"
                  % excerpt(stripped.rstrip(BLANKS)),
                  "write it as 'tag = value', or make it a comment with '#'")
        raw_tag = stripped[:equals].rstrip(BLANKS)
        if not raw_tag:
            _fail(self.path, line.number, "relation without a tag before '='", "write it as 'tag = value'")
        if any(char in BLANKS for char in raw_tag):
            _fail(self.path, line.number, "tag %s has blanks in it" % excerpt(raw_tag),
                  "a tag is one word: join or remove the words before '='")
        line.raw_tag = raw_tag
        line.tag = raw_tag.split("*", 1)[0]
        value = stripped[equals + 1:].lstrip(BLANKS)
        if value.startswith('"'):
            line.kind, line.value = RELATION, unquote(value[1:])
        elif not value or (value[0] == "{" and not value[1:].strip(BLANKS)):
            line.kind = OPENER
            return bool(value)  # whether the '{' is on this line
        else:
            line.kind, line.value = RELATION, value.rstrip(BLANKS)
        return False

"""The key=value codec of daemon.conf and store-passwords.txt."""

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._properties import parse_properties


def test_comments_blanks_and_the_last_repeated_key():
    text = "# daemon.conf\n! also a comment\n\nmapr.daemon.user = mapr\r\nmapr.daemon.group=mapr\rx=1\nx=2"
    assert parse_properties(text) == {"mapr.daemon.user": "mapr", "mapr.daemon.group": "mapr", "x": "2"}


@pytest.mark.parametrize("odd", ["\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x0b", "\x0c"])
def test_only_lf_and_cr_end_a_line(odd):
    # Regression (found by fuzzing against Java's rule): str.splitlines() broke the line here, so a
    # second, hidden "key=value" won over the one every other reader sees.
    assert parse_properties("mapr.daemon.user=mapr%smapr.daemon.user=root\n" % odd) == {
        "mapr.daemon.user": "mapr%smapr.daemon.user=root" % odd}


def test_a_line_that_is_no_setting_names_its_line():
    with pytest.raises(CrossclusterError) as caught:
        parse_properties("a=1\nnot a setting\n", path="/opt/mapr/conf/daemon.conf")
    assert (caught.value.path, caught.value.line) == ("/opt/mapr/conf/daemon.conf", 2)

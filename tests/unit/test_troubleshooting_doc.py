"""docs/troubleshooting.md must list every error message the collection can give.

The messages are read from the sources with ``ast`` (never by importing them), so a new
``CrossclusterError``, ``fail_json(msg=...)``, ``AnsibleActionFail``, ``AnsibleFilterError`` or
preflight problem that the page lacks fails this test, naming the source file and line.

What counts as a message:

- the problem (first argument) and the ``fix`` of ``CrossclusterError(...)``;
- ``msg=`` of ``*.fail_json(...)`` and of a ``dict(...)``/``update(...)`` that sets ``failed=True``;
- a literal stored as ``...["error"] = ...`` (why a file or store could not be read, in facts that
  the preflight gate reports);
- the first argument of ``AnsibleActionFail(...)`` and ``AnsibleFilterError(...)``;
- every string literal of ``plugins/module_utils/_preflight.py``, ``_trust_list.py`` and ``_world.py`` outside
  docstrings (the gate's problems, warnings and the pieces they are built from, and what is wrong
  with ``crosscluster_trusts`` itself);
- the literal text of ``msg`` of each ``ansible.builtin.fail`` task in ``roles/*/tasks/*.yml``.

A message given as a variable is followed to its literals: assignments in the same function
(``problem = ...``, ``problem += ...``, ``problem, fix = TABLE[kind]``), a module constant, the
strings a private helper of the same module returns, and, for a parameter (``_fail(path, line,
problem, fix)``), the literal each caller passes. Names inside the ``%`` tuple are followed to
local literals too (``"%s is not valid base64: it %s" % (subject, problem)``).

A literal is compared without its placeholders: its longest fragment between two ``%s``/``%d``
(or ``{{ }}``) when that has at least three words; a message with only shorter pieces must show
all of them in order (a placeholder in between). Whitespace is normalised on both sides, so the
page may wrap; it writes placeholders as ``<host>``, ``<path>``, ``<cluster>``.

Not read from the sources, and kept on the page by hand: ``module.warn`` texts, Ansible's own
argument validation messages, and the messages of the tools the verify role runs.

The other way round, every line of the page's ``text`` blocks must still be given somewhere: an
extracted message is found in it, or its longest literal piece is in a string of the plugins or the
roles (warnings and returned problems count too), or it is one of Ansible's own messages
(``ANSIBLE_OWN``). A message whose code was removed then fails, naming the line, instead of staying
on the page.
"""

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "troubleshooting.md"
SOURCE_DIRS = ("plugins/module_utils", "plugins/modules", "plugins/action", "plugins/plugin_utils", "plugins/filter")
PREFLIGHT = "plugins/module_utils/_preflight.py"
# Sources whose every literal of a few words is a message: they return problems rather than raise them.
LITERAL_SOURCES = (PREFLIGHT, "plugins/module_utils/_trust_list.py", "plugins/module_utils/_world.py")
ROLE_TASKS = "roles/*/tasks/*.yml"

# The longest fragment must have this many words to stand for the message on its own.
MIN_WORDS = 3
# Literals with fewer words than this are names or values ("change", "ticket"), not messages.
MIN_MESSAGE_WORDS = 2
# Preflight: every literal of at least this many words is (part of) a message.
MIN_PREFLIGHT_WORDS = 3
# How much a placeholder may stand for when pieces are matched in order.
GAP = ".{0,120}?"
# How far a variable is followed through assignments, helpers and callers.
MAX_DEPTH = 6

PLACEHOLDER_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")
JINJA_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
JINJA_STRING_RE = re.compile(r"'([^'\\]*(?:\\.[^'\\]*)*)'|\"([^\"\\]*(?:\\.[^\"\\]*)*)\"")
WORD_RE = re.compile(r"[A-Za-z0-9_]+")
# Call sinks: callee name -> (position, keyword) of the message argument.
FIRST_ARGUMENT = {"CrossclusterError": (0, "problem"), "AnsibleActionFail": (0, "message"),
                  "AnsibleFilterError": (0, "message")}


def normalise(text):
    return " ".join(text.split())


def fragments(text):
    """The literal pieces of a %-format (or of a text whose placeholders are already cut out)."""
    return [normalise(piece.replace("%%", "%")) for piece in PLACEHOLDER_RE.split(text)]


def words(text):
    return len(WORD_RE.findall(text))


def needle(pieces):
    """(kind, value): ("text", the longest piece) or ("regex", every piece in order)."""
    pieces = [p for p in pieces if p]
    longest = max(pieces, key=lambda p: (words(p), len(p)), default="")
    if words(longest) >= MIN_WORDS:
        return "text", longest
    return "regex", GAP.join(re.escape(p) for p in pieces)


class Message:
    """One literal (or literal format) that reaches the user, and where it is written."""

    def __init__(self, source, line, kind, text, pieces=None):
        self.source = source
        self.line = line
        self.kind = kind  # problem, fix, preflight or role
        self.text = text
        self.pieces = pieces if pieces is not None else fragments(text)

    @property
    def checked(self):
        return sum(words(p) for p in self.pieces) >= MIN_MESSAGE_WORDS

    def found_in(self, doc):
        how, value = needle(self.pieces)
        return value in doc if how == "text" else re.search(value, doc) is not None

    def describe(self):
        """``file:line: kind 'the message, <...> for each placeholder'``."""
        shown = "<...>".join(self.pieces) if len(self.pieces) > 1 else self.pieces[0]
        return "%s:%d: %s %r" % (self.source, self.line, self.kind, normalise(shown.replace("<...>", " <...> ")))

    def key(self):
        return (self.source, self.line, self.kind, self.text)


class Sources:
    """Every Python source of the plugins, parsed, with what resolving a variable needs."""

    def __init__(self, root=ROOT, files=None):
        self.root = root
        self.trees = {}
        if files is None:
            files = {}
            for directory in SOURCE_DIRS:
                for path in sorted((root / directory).glob("*.py")):
                    files[str(path.relative_to(root))] = path.read_text(encoding="utf-8")
        for name, text in files.items():
            self.trees[name] = ast.parse(text, filename=name)
        self.parents = {}
        self.functions = {}  # name -> [(source, FunctionDef)]
        self.calls = {}  # name -> [(source, Call, enclosing FunctionDef or None)]
        for source, tree in self.trees.items():
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parents[child] = node
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions.setdefault(node.name, []).append((source, node))
                elif isinstance(node, ast.Call):
                    name = callee(node)
                    if name:
                        self.calls.setdefault(name, []).append((source, node, self.enclosing(node)))

    def enclosing(self, node):
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None

    def module_value(self, source, name):
        """The value of a module-level ``name = ...`` in ``source`` (or, if imported, elsewhere)."""
        for where in [source] + [s for s in self.trees if s != source]:
            for stmt in self.trees[where].body:
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                        for t in stmt.targets):
                    return where, stmt.value
        return None, None

    # -- following an expression to its literals ---------------------------------------------

    def literals(self, expr, source, func, depth=0, follow_params=True):
        """[(source, line, text)] of the literal texts ``expr`` can carry."""
        if expr is None or depth > MAX_DEPTH:
            return []
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [(source, expr.lineno, expr.value)]
        if isinstance(expr, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "%s" for v in expr.values)
            return [(source, expr.lineno, text)]
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
            found = self.literals(expr.left, source, func, depth + 1, follow_params)
            values = expr.right.elts if isinstance(expr.right, ast.Tuple) else [expr.right]
            for value in values:
                # Only local pieces of text (where, subject, problem), never a parameter's value.
                if isinstance(value, (ast.Name, ast.IfExp)):
                    found += self.literals(value, source, func, depth + 1, follow_params=False)
            return found
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return (self.literals(expr.left, source, func, depth + 1, follow_params)
                    + self.literals(expr.right, source, func, depth + 1, follow_params))
        if isinstance(expr, ast.IfExp):
            return (self.literals(expr.body, source, func, depth + 1, follow_params)
                    + self.literals(expr.orelse, source, func, depth + 1, follow_params))
        if isinstance(expr, ast.BoolOp):
            return [item for value in expr.values
                    for item in self.literals(value, source, func, depth + 1, follow_params)]
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id.startswith("_"):
            return self._returns(expr.func.id, source, depth)
        if isinstance(expr, ast.Name):
            return self._name(expr.id, source, func, depth, follow_params)
        return []

    def _returns(self, name, source, depth):
        """The literals a private helper of ``source`` returns."""
        found = []
        for where, func in self.functions.get(name, []):
            if where != source:
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Return) and node.value is not None:
                    found += self.literals(node.value, where, func, depth + 1, follow_params=False)
        return found

    def _name(self, name, source, func, depth, follow_params):
        if func is not None:
            local = self._local(name, source, func, depth)
            if local is not None:
                return local
            params = [a.arg for a in func.args.args]
            if name in params:
                return self._callers(func, params.index(name), name, depth) if follow_params else []
        where, value = self.module_value(source, name)
        if value is None:
            return []
        if isinstance(value, ast.Dict):
            return []  # a table is read through a subscript (see _local)
        return self.literals(value, where, None, depth + 1, follow_params=False)

    def _local(self, name, source, func, depth):
        """Literals assigned to ``name`` inside ``func``; None when it is assigned nowhere there."""
        found = None
        for node in ast.walk(func):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == name:
                        found = (found or []) + self.literals(node.value, source, func, depth + 1, False)
                    elif isinstance(target, ast.Tuple):
                        for index, element in enumerate(target.elts):
                            if isinstance(element, ast.Name) and element.id == name:
                                found = (found or []) + self._element(node.value, index, source, depth)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
                found = (found or []) + self.literals(node.value, source, func, depth + 1, False)
        return found

    def _element(self, value, index, source, depth):
        """``a, b = TABLE[key]``: element ``index`` of every value of the module table TABLE."""
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name):
            where, table = self.module_value(source, value.value.id)
            if isinstance(table, ast.Dict):
                return [item for entry in table.values if isinstance(entry, ast.Tuple) and len(entry.elts) > index
                        for item in self.literals(entry.elts[index], where, None, depth + 1, False)]
        if isinstance(value, ast.Tuple) and len(value.elts) > index:
            return self.literals(value.elts[index], source, None, depth + 1, False)
        return []

    def _callers(self, func, position, name, depth):
        """What every caller passes for parameter ``position`` (``name``) of ``func``."""
        is_method = bool(func.args.args) and func.args.args[0].arg in ("self", "cls")
        found = []
        for where, call, caller in self.calls.get(func.name, []):
            if caller is func:
                continue
            offset = 1 if is_method and isinstance(call.func, ast.Attribute) else 0
            arg = argument(call, position - offset, name)
            found += self.literals(arg, where, caller, depth + 1, follow_params=True)
        return found

    # -- the messages ------------------------------------------------------------------------

    def messages(self):
        found = {}

        def add(kind, items):
            for source, line, text in items:
                message = Message(source, line, kind, text)
                found.setdefault(message.key(), message)

        for source, tree in self.trees.items():
            if source in LITERAL_SOURCES:
                continue
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = self.enclosing(node)
                name = callee(node)
                if name in FIRST_ARGUMENT:
                    position, keyword = FIRST_ARGUMENT[name]
                    add("problem", self.literals(argument(node, position, keyword), source, func))
                    if name == "CrossclusterError":
                        add("fix", self.literals(argument(node, 3, "fix"), source, func))
                elif name == "fail_json" or (name in ("dict", "update") and failed_true(node)):
                    add("problem", self.literals(argument(node, None, "msg"), source, func))
            for node in ast.walk(tree):
                # found["error"] = "...": why a file or store could not be read, which preflight reports.
                if isinstance(node, ast.Assign) and any(is_error_slot(t) for t in node.targets):
                    add("problem", self.literals(node.value, source, self.enclosing(node)))
        for source in LITERAL_SOURCES:
            if source in self.trees:
                add("preflight", preflight_literals(self.trees[source], source))
        return [m for m in found.values() if m.checked]


def callee(call):
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def argument(call, position, keyword):
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if position is not None and 0 <= position < len(call.args):
        return call.args[position]
    return None


def is_error_slot(target):
    return (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
            and target.slice.value == "error")


def failed_true(call):
    return any(k.arg == "failed" and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in call.keywords)


def docstrings(tree):
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(first.value)
    return found


def preflight_literals(tree, source=PREFLIGHT):
    skip = docstrings(tree)
    return [(source, node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node not in skip
            and sum(words(p) for p in fragments(node.value)) >= MIN_PREFLIGHT_WORDS]


def role_messages(root=ROOT):
    """``msg`` of every ansible.builtin.fail task: its text outside Jinja, and strings quoted inside."""
    found = []
    for path in sorted(root.glob(ROLE_TASKS)):
        source = str(path.relative_to(root))
        text = path.read_text(encoding="utf-8")
        for task in walk_tasks(yaml.safe_load(text) or []):
            args = task.get("ansible.builtin.fail", task.get("fail"))
            if not isinstance(args, dict) or not isinstance(args.get("msg"), str):
                continue
            msg = args["msg"]
            line = line_of(text, task.get("name") or msg)
            outside = [normalise(p) for p in JINJA_RE.split(msg)]
            found.append(Message(source, line, "role", msg, pieces=outside))
            for block in JINJA_RE.findall(msg):
                for single, double in JINJA_STRING_RE.findall(block):
                    quoted = single or double
                    found.append(Message(source, line_of(text, quoted), "role", quoted))
    return [m for m in found if m.checked]


def walk_tasks(tasks):
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from walk_tasks(task.get(key))


def line_of(text, needle_text):
    for number, line in enumerate(text.splitlines(), 1):
        if needle_text[:40] in line:
            return number
    return 0


def missing_from(doc_text, messages):
    doc = normalise(doc_text)
    return [m for m in messages if not m.found_in(doc)]


@pytest.fixture(scope="module")
def doc():
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def messages():
    return Sources().messages() + role_messages()


# Ansible's own messages (role argument validation), which no source of this collection writes.
ANSIBLE_OWN = ("Validation of arguments failed:", "missing required arguments:", "Supported parameters include:",
               "value of type must be one of:", "is of type dict and we were unable to convert",
               "is of type str and we were unable to convert")
# Pieces of a documented line: placeholders, and the ". Fix: " between a problem and its fix (two literals).
DOC_PIECE_RE = re.compile(r"<[^<>]*>|\. Fix: |\.\.\.")


def documented_lines(doc_text):
    """Every line of the page's ```text blocks: the messages as the page writes them."""
    return [line for block in re.findall(r"```text\n(.*?)```", doc_text, re.S) for line in block.splitlines()
            if line.strip()]


def source_literals(sources, root=ROOT):
    """Every string of the plugins, and the role task files whole, normalised: where a documented line may live."""
    found = [normalise(node.value) for tree in sources.trees.values() for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    found += [normalise(path.read_text(encoding="utf-8")) for path in sorted(root.glob(ROLE_TASKS))]
    return "\n".join(found)


def gone_from(doc_text, messages, literals):
    """The documented lines that no source gives any more."""
    gone = []
    for line in documented_lines(doc_text):
        text = normalise(line)
        if any(own in text for own in ANSIBLE_OWN) or any(m.found_in(text) for m in messages):
            continue
        pieces = [p.strip(" .:;,()") for p in DOC_PIECE_RE.split(text)]
        longest = max(pieces, key=lambda p: (words(p), len(p)))
        if words(longest) >= MIN_WORDS and longest not in literals:
            gone.append(text)
    return gone


def test_every_message_is_on_the_troubleshooting_page(doc, messages):
    missing = missing_from(doc, messages)
    assert not missing, (
        "docs/troubleshooting.md lacks %d message(s); add an entry (the message with <placeholders>, what "
        "it means, the fix) for each:\n%s" % (len(missing), "\n".join(m.describe() for m in missing)))


def test_every_message_on_the_page_is_still_given(doc, messages):
    gone = gone_from(doc, messages, source_literals(Sources()))
    assert not gone, (
        "docs/troubleshooting.md documents %d message(s) that no source gives any more; remove each entry:\n%s"
        % (len(gone), "\n".join(gone)))


# Messages that were on the page when their code was removed: the export step's, when its filter
# (trust_exports) went, and the one the filters gave for a group with no host in the play, when the World
# model (module_utils/_world.py) made such a group one the plans leave out.
REMOVED_MESSAGES = (
    "<host> (exporter of <group>) has no <fact> fact; the export step did not run there",
    "no host of inventory group '<group>' is in the play (none defined, or all unreachable); check the group in "
    "crosscluster_trusts",
)


@pytest.mark.parametrize("removed", REMOVED_MESSAGES)
def test_a_message_whose_code_is_gone_fails_naming_the_line(doc, messages, removed):
    page = doc + "\n```text\n%s\n```\n" % removed
    assert gone_from(page, messages, source_literals(Sources())) == [removed]


# Each way a message is written in the plugins, in a made-up module: what the extractor must find.
CONSTRUCTS = {
    "plugins/module_utils/codec.py": """
from x import CrossclusterError, excerpt

_FIX = "write it as key=value, like the others"
_TABLE = {
    "a": ("is a table problem of kind a", "table fix for kind a here"),
    "b": ("is a table problem of kind b", "table fix for kind b here"),
}


def _reason(value):
    if not value:
        return "reason from a helper is empty"
    return "reason from a helper is too long"


def _fail(path, line, problem, fix):
    raise CrossclusterError(problem, path=path, line=line, fix=fix)


class Base:
    def _protect(self, key, problem, fix):
        raise CrossclusterError(problem, path=None, fix=fix)


class Child(Base):
    def _protect(self, key):
        super()._protect(key, "refusing to touch %s here" % key, fix="pass allow it if intended")


def check(value, kind):
    where = "the value %s of the option" % excerpt(value)
    if value:
        raise CrossclusterError("%s has a literal problem" % where, fix=_FIX)
    _fail("p", 1, "forwarded problem %s through a helper" % value, "forwarded fix through a helper")
    problem, fix = _TABLE[kind]
    raise CrossclusterError(problem, fix=fix)


def blob(value):
    reason = _reason(value)
    text = "the blob %s is bad: it %s" % (value, reason)
    text += "; and an appended sentence follows"
    raise CrossclusterError(text, fix=f"an f-string fix for {value} here")
""",
    "plugins/modules/mod.py": """
def main(module, found):
    module.fail_json(msg="a fail_json message with %d words" % 6)
    return dict(failed=True, msg="a failed result message for %s" % module)
    found["error"] = "an error kept in the facts"
""",
    "plugins/action/act.py": """
from ansible.errors import AnsibleActionFail
raise AnsibleActionFail("an action failure message for %s" % 1)
""",
    "plugins/filter/filt.py": """
from ansible.errors import AnsibleFilterError
raise AnsibleFilterError(message="a filter error message keyword")
""",
    PREFLIGHT: """
def problems(node):
    \"\"\"A docstring is not a message, whatever its length.\"\"\"
    found = ["%s: a preflight problem in a list. Fix: do it" % node]
    found.append("%s: an appended preflight problem. Fix: do that" % node)
    return found
""",
}
CONSTRUCT_MESSAGES = [
    ("plugins/module_utils/codec.py", "fix", "write it as key=value, like the others"),
    ("plugins/module_utils/codec.py", "problem", "is a table problem of kind a"),
    ("plugins/module_utils/codec.py", "fix", "table fix for kind b here"),
    ("plugins/module_utils/codec.py", "problem", "reason from a helper is empty"),
    ("plugins/module_utils/codec.py", "problem", "refusing to touch %s here"),
    ("plugins/module_utils/codec.py", "fix", "pass allow it if intended"),
    ("plugins/module_utils/codec.py", "problem", "the value %s of the option"),
    ("plugins/module_utils/codec.py", "problem", "%s has a literal problem"),
    ("plugins/module_utils/codec.py", "problem", "forwarded problem %s through a helper"),
    ("plugins/module_utils/codec.py", "fix", "forwarded fix through a helper"),
    ("plugins/module_utils/codec.py", "problem", "the blob %s is bad: it %s"),
    ("plugins/module_utils/codec.py", "problem", "; and an appended sentence follows"),
    ("plugins/module_utils/codec.py", "fix", "an f-string fix for %s here"),
    ("plugins/modules/mod.py", "problem", "a fail_json message with %d words"),
    ("plugins/modules/mod.py", "problem", "a failed result message for %s"),
    ("plugins/modules/mod.py", "problem", "an error kept in the facts"),
    ("plugins/action/act.py", "problem", "an action failure message for %s"),
    ("plugins/filter/filt.py", "problem", "a filter error message keyword"),
    (PREFLIGHT, "preflight", "%s: a preflight problem in a list. Fix: do it"),
    (PREFLIGHT, "preflight", "%s: an appended preflight problem. Fix: do that"),
]


def test_the_extractor_follows_every_way_a_message_is_written():
    """A broken extractor would pass vacuously: each construct the plugins use must be seen."""
    found = set((m.source, m.kind, m.text) for m in Sources(files=CONSTRUCTS).messages())
    absent = [item for item in CONSTRUCT_MESSAGES if item not in found]
    assert not absent, "the extractor misses: %s" % absent
    assert not any("docstring" in text for _source, _kind, text in found)


def test_the_extractor_finds_messages_in_every_kind_of_source(messages):
    places = set(m.source.split("/")[1] if m.source.startswith("plugins/") else "roles" for m in messages)
    assert places == {"module_utils", "modules", "action", "plugin_utils", "filter", "roles"}
    assert len(messages) > 150
    assert sum(1 for m in messages if m.kind == "preflight") > 30
    assert any(m.text == "Cross-cluster trust cannot be set up; nothing was changed." for m in messages)


def test_a_new_undocumented_message_fails_naming_file_and_line(doc):
    """What a developer adding an error without an entry sees."""
    source = (
        "from x import CrossclusterError\n"
        "def _fail(path, problem, fix):\n"
        "    raise CrossclusterError(problem, path=path, fix=fix)\n"
        "def check(value):\n"
        "    if value:\n"
        "        _fail('p', 'the flux capacitor %s is out of phase' % value, fix='realign it with care')\n"
        "    raise CrossclusterError('does not exist', path='p', fix='correct the path, or set create: true "
        "to start a new file')\n"
    )
    found = Sources(files={"plugins/module_utils/new.py": source}).messages()
    missing = missing_from(doc, found)
    assert [m.describe() for m in missing] == [
        "plugins/module_utils/new.py:6: problem 'the flux capacitor <...> is out of phase'",
        "plugins/module_utils/new.py:6: fix 'realign it with care'",
    ]

"""How MIT Kerberos itself reads a krb5.conf: its profile library (libkrb5), through ctypes.

There is no command that validates a krb5.conf: every MIT tool just fails with "Improper format of
Kerberos configuration file" when the file does not parse. The profile API that those tools use
is exported by libkrb5, though, so tests can ask MIT's parser both whether a file parses (and
which error it reports) and which values it reads for a tag, e.g. ``("realms", "B.TEST", "kdc")``.
"""

import ctypes
import ctypes.util

# com_err table "prof": "Profile section not found" and "Profile relation not found".
_PROF_BASE = -1429577728
_NOT_FOUND = (_PROF_BASE + 2, _PROF_BASE + 3)


def _load():
    try:
        krb5 = ctypes.CDLL(ctypes.util.find_library("krb5") or "libkrb5.so.3")
        com_err = ctypes.CDLL(ctypes.util.find_library("com_err") or "libcom_err.so.2")
    except OSError as err:
        return None, None, "MIT Kerberos libraries are not installed (%s)" % err
    strings = ctypes.POINTER(ctypes.c_char_p)
    krb5.profile_init_path.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    krb5.profile_init_path.restype = ctypes.c_long
    for name in ("profile_get_values", "profile_get_subsection_names", "profile_get_relation_names"):
        function = getattr(krb5, name)
        function.argtypes = [ctypes.c_void_p, strings, ctypes.POINTER(strings)]
        function.restype = ctypes.c_long
    krb5.profile_free_list.argtypes = [strings]
    krb5.profile_release.argtypes = [ctypes.c_void_p]
    com_err.error_message.argtypes = [ctypes.c_long]
    com_err.error_message.restype = ctypes.c_char_p
    return krb5, com_err, None


_KRB5, _COM_ERR, UNAVAILABLE = _load()


class MitProfileError(Exception):
    """MIT's parser refused the file; ``message`` is its own text, e.g. 'Extra closing brace in profile'."""

    def __init__(self, code, message):
        super().__init__("%s (%d)" % (message, code))
        self.code = code
        self.message = message


def _message(code):
    return _COM_ERR.error_message(code).decode()


class MitProfile:
    """A krb5.conf as MIT's library parsed it; raises MitProfileError when it does not parse."""

    def __init__(self, path):
        self._handle = ctypes.c_void_p()
        code = _KRB5.profile_init_path(str(path).encode(), ctypes.byref(self._handle))
        if code:
            raise MitProfileError(code, _message(code))

    def close(self):
        if self._handle:
            _KRB5.profile_release(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def _strings(self, function, names):
        array = (ctypes.c_char_p * (len(names) + 1))(*[name.encode() for name in names], None)
        found = ctypes.POINTER(ctypes.c_char_p)()
        code = function(self._handle, array, ctypes.byref(found))
        if code in _NOT_FOUND:
            return []
        if code:
            raise MitProfileError(code, _message(code))
        result = []
        index = 0
        while found[index] is not None:
            result.append(found[index].decode())
            index += 1
        _KRB5.profile_free_list(found)
        return result

    def values(self, *names):
        """The values of the relation at ``names`` (section, subsections..., tag), in file order."""
        return self._strings(_KRB5.profile_get_values, names)

    def subsections(self, *names):
        """The subsection names below ``names``, e.g. ``subsections("realms")`` lists the realms."""
        return self._strings(_KRB5.profile_get_subsection_names, names)

    def relation_names(self, *names):
        """The relation tags directly below ``names``, e.g. the domains of [domain_realm]."""
        return self._strings(_KRB5.profile_get_relation_names, names)


def mit_parse_error(path):
    """MIT's error message for ``path``, or None when MIT parses it."""
    try:
        MitProfile(path).close()
    except MitProfileError as err:
        return err.message
    return None

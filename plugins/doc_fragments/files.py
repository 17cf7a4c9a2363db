# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Options every file-writing module of this collection shares."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  backup:
    description:
      - Keep the previous file as C(<path>.<pid>.<timestamp>~) before replacing it.
      - The backup keeps the file's mode and owner (it is the old inode, hard-linked), so a
        backup of a secret file stays as private as the file was.
      - For a symbolic link to a file of the same directory, the backup is of that file and named
        after it.
    type: bool
    default: false
  mode:
    description:
      - Permissions of the file, as an octal number or a quoted string such as C('0644').
      - When omitted, an existing file keeps its mode and a new file gets the module's default.
    type: raw
  owner:
    description:
      - User that owns the file. When omitted, an existing file keeps its owner and a new file
        belongs to the user the module runs as.
    type: str
  group:
    description:
      - Group of the file. When omitted, an existing file keeps its group.
    type: str
notes:
  - The file is changed under an advisory lock on its directory and replaced atomically (write
    to a temporary file in the same directory, then rename), so a reader never sees a half-written
    file and two runs on one node cannot lose each other's changes.
  - No step follows a symbolic link or looks a name up twice (the directory's owner, such as
    C(mapr) for C(/opt/mapr/conf), could swap it meanwhile). A file that is a symbolic link out of
    its directory is refused; a link to a file of the same directory writes that file and stays.
"""

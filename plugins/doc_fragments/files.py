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

    # The truststore actions (truststore_import, peer_trust): what their write starts from.
    BASED_ON = r"""
options:
  based_on:
    description:
      - "The files as M(datafabric.crosscluster.security_facts) read them earlier in this run, as it
        returns them in RV(datafabric.crosscluster.security_facts#module:ansible_facts.mapr_security.files_read):
        each file's path and the SHA-256 of its bytes (null for a file that did not exist)."
      - "When every file this task reads is named, and the bytes of those SHA-256s were kept on the
        controller in this run, the task starts from them instead of reading the node again, one
        round trip less per node. The write's compare-and-swap on the node still refuses a file that
        changed since, and the task then reads it anew, so a stale value costs a read, never a wrong write."
      - When omitted (or a file is not named), the task reads the files on the node first.
    type: dict
"""

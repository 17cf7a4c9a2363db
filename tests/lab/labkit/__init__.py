"""Test lab for datafabric.crosscluster: simulated secure 7.x clusters (see tests/lab/README.md).

Independent of the collection: nothing here imports plugins/.
"""

from .lab import DEFAULT_DIR, Cluster, Host, Lab
from .netns import unavailable as ssh_mode_unavailable

__all__ = ["DEFAULT_DIR", "Cluster", "Host", "Lab", "ssh_mode_unavailable"]

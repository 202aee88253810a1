"""Captures in the window: the manager (journals, unsaved captures, files), recovery
of journals left over, read-only tabs, and the capture dialogs (:mod:`.dialogs`, not
imported here: they load when first opened, for their Qt classes cost the window's
start their enums)."""

from .manager import CaptureManager, gui_data_dir
from .recovery import JournalRecovery, RecoveryBanner
from .tabs import open_store_tab

__all__ = [
    "CaptureManager",
    "JournalRecovery",
    "RecoveryBanner",
    "gui_data_dir",
    "open_store_tab",
]

"""Captures in the window: the manager (journals, unsaved captures, files), recovery
of journals left over, the capture dialogs, read-only tabs."""

from .dialogs import CAPTURE_SAVE_FILTER, HarExportDialog, UnsavedPrompt, capture_save_dialog
from .manager import CaptureManager, gui_data_dir
from .recovery import JournalRecovery, RecoveryBanner
from .tabs import open_store_tab

__all__ = [
    "CAPTURE_SAVE_FILTER",
    "CaptureManager",
    "HarExportDialog",
    "JournalRecovery",
    "RecoveryBanner",
    "UnsavedPrompt",
    "capture_save_dialog",
    "gui_data_dir",
    "open_store_tab",
]

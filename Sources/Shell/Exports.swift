// The shell is a thin layer over the engine: its types (settings, errors,
// clock, text cleaning) are the shell's vocabulary too.
@_exported import SyncEngine

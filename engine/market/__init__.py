"""The market of one cluster: commands, events, the fold over them, recovery, the runtime on an
event loop, metrics."""

"""One module per area of the main window. Each defines `create_panel(ctx) -> QWidget`.

A panel widget may define `shutdown()`; the main window calls it on quit, in reverse order.
"""

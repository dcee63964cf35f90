"""Qt-free core of Wan 2.2 Studio. Nothing in this package may import Qt or pyqtgraph."""

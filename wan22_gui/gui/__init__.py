"""The Qt layer of Wan 2.2 Studio: thin views over `wan22_gui.core`."""

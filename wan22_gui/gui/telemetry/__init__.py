"""The Live GPU dock: the NVML graph, its buffers, phase bands, readout and export."""

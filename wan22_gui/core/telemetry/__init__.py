"""GPU telemetry from NVML: the sampler, its ring buffer and per-job metrics."""

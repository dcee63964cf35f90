"""Running generation jobs: the job runner, its phases and timings, and the app's queue."""

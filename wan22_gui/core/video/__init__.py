"""Reading videos (OpenCV): probing, decoding, thumbnails."""

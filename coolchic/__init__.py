"""coolchic: the Cool-chic 3.0 overfitted neural image codec as an image format."""

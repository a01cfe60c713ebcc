import coolchic

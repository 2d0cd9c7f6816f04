"""The bottom layer: error types (:mod:`.errors`), units (:mod:`.units`) and atomic file
output (:mod:`.files`). Everything else may import it; it imports nothing of the project."""

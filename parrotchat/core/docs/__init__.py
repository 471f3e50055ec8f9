"""Documents: text out of the user's files (formats/) and the index that searches it (index/)."""

"""Making images of the user: references, strategies, best-of-N by likeness, stored results."""

"""Sample quality: feature spaces, scores, and the nearest real images."""

"""The web console for image sharing at /console/: an image API client."""

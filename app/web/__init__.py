"""The web layer: Litestar routes, page view-models and rendering; it calls the domain services."""

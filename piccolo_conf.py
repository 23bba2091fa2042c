"""Piccolo configuration: the engine from DATABASE_URL and the app registry."""

from piccolo.conf.apps import AppRegistry

from app.config import get_settings
from app.db import build_engine

DB = build_engine(get_settings())

APP_REGISTRY = AppRegistry(apps=["app.piccolo_app"])

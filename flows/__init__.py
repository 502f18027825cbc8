"""Prefect flows: composition only. ``from flows.build import build_image, build_images``."""

"""Shared test settings: nothing in the suite may reach the network."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.pop("WORKSHOP_KIT_DEVICE", None)
os.environ.pop("WORKSHOP_KIT_MODELS", None)

"""Bundled data of DCGAN Studio; installed as ``dcgan_studio.resources`` (see pyproject.toml)."""

"""The headless CLI (`drs-console COMMAND`). Never imports Qt."""

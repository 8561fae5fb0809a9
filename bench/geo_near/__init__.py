"""The near selector (core/near.py, geo/near.py) against PostGIS: run.py; what-if variants: lean_prototype.py."""

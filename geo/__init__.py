"""Geography for the Baise commissioner backend.

Every module here imports no Django and no app of the project: they take and return plain numbers,
numpy arrays, tuples and GeoJSON dicts, so they can be tested without a database and reused by
management commands, API views and workers alike (tests/geo/test_geo_purity.py keeps it that way).
What touches the database or the request lives with the apps: the near selector's queries in
core/near.py, the datum conversion at the API edge in core/positions.py, `/geo/locate` in villages.
Public functions always take ``(lat, lng)``; GeoJSON's ``[lon, lat]`` order appears only inside
GeoJSON geometries.
"""

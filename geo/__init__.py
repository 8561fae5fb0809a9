"""Geography for the Baise commissioner backend.

The core modules (datums, distance, cells, fences, lookup, placement) import no Django:
they take and return plain numbers, tuples and GeoJSON dicts so they can be tested
without a database and reused by management commands, API views and workers alike
(tests/geo/test_geo_purity.py keeps it that way). Public functions always take
``(lat, lng)``; GeoJSON's ``[lon, lat]`` order appears only inside GeoJSON geometries.
"""

"""Geography of a territory: national references shipped with the package (commune contours,
QPV 2024), the territory's own perimeters, the ANCT list of QPV, and the data side of the maps.

- :mod:`cdv_lib.geo.encoding`: compact geometry encoding of the shipped files;
- :mod:`cdv_lib.geo.reference`: commune contours, QPV 2024 list and contours, EPCI names;
- :mod:`cdv_lib.geo.geojson`: reading ``qpv.geojson`` of a data folder;
- :mod:`cdv_lib.geo.anct`: reading ``listeqp2024-cog2024.csv`` and turning it into ``qpv.csv``;
- :mod:`cdv_lib.geo.territory`: communes / QPV joined to geometries, per-commune values.

Drawing is in :mod:`cdv_lib.maps`.
"""

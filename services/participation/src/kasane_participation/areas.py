"""Where things are: area centroids from the municipality profile."""

from __future__ import annotations

from kasane_shared.profile import MunicipalityProfile


def centroid(profile: MunicipalityProfile, code: str) -> tuple[float, float] | None:
    """The area's centroid, or its nearest ancestor's; None for an unknown area or none at all."""
    area = profile.area(code)
    if area is None:
        return None
    if area.centroid is not None:
        return area.centroid.lat, area.centroid.lon
    for parent in profile.ancestors(code):
        if parent.centroid is not None:
            return parent.centroid.lat, parent.centroid.lon
    return None


def locate(profile: MunicipalityProfile, area_code: str, lat: float | None,
           lon: float | None) -> tuple[float, float, str] | None:
    """(lat, lon, located_by): given coordinates, else the area's centroid; None if neither."""
    if lat is not None and lon is not None:
        return lat, lon, "coordinates"
    found = centroid(profile, area_code)
    if found is None:
        return None
    return found[0], found[1], "area_centroid"

"""Community: places, the platform of local actors, and resource development (地域づくり事業)."""

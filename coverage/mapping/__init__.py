"""Maps: interactive folium maps (``webmap``) and printed A4/A3 maps (``printmap``)."""

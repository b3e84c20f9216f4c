"""What joins the layers: ``fetch_chat`` (client -> tables) and ``sync_chat`` (-> dataset)."""

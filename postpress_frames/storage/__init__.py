"""Files: one chat as a Parquet folder, many chats as a Hive-partitioned dataset, atomic commits."""

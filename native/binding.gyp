{
  "targets": [{
    "target_name": "posix_time",
    "sources": ["posix-time.c"],
    "cflags": ["-O2", "-Wall"]
  }]
}

# http.server: HTTP/1.1 over any stackv4
$(call mg_plugin,http.server,unix xen,server.c conn.c response.c parser.c date.c pool.c)

# net.socket: TCP and UDP over the host's sockets
$(call mg_plugin,net.socket,unix,socket.c sockflow.c sockaddr.c)

"""MCP resources: read-only views of the router's state. resources.registry registers them on an MCPServer;
resources.views builds the views, which the `switchboard` CLI prints without loading the MCP SDK."""

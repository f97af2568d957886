"""MCP tools: thin typed functions over RouterCore. tools.registry registers them on an MCPServer.

This package's own import stays free of the MCP SDK: the `switchboard` CLI reads the tools' output models
(tools.schemas, tools.batch_schemas) and would otherwise load the SDK's types, about a second of CPU on every
command.
"""

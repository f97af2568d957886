"""The baseline for bench/mcp_overhead.py: a minimal MCPServer with one trivial tool."""

from mcp.server import MCPServer

mcp = MCPServer("minimal")


@mcp.tool()
def echo(text: str) -> str:
    """Echo the text."""
    return text


if __name__ == "__main__":
    mcp.run("stdio")

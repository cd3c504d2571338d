"""The dashboard's files (a package so that its .html/.js/.css ship as package data)."""

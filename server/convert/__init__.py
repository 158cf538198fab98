"""server/convert"""

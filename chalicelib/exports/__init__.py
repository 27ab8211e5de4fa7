"""Exports: the register written as a workbook in the import template's format."""

#!/bin/sh
echo host tool

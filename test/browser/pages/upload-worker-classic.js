// A classic worker: the script-tag bundle loaded with importScripts (it defines ResumableUpload).
/* global importScripts, ResumableUpload */
importScripts('/dist/resumable-upload.min.js', '/worker-upload.js')

self.onmessage = ({ data }) => self.runUpload(ResumableUpload, data)

// The console's only script: streams a file to the URL the page's upload form names (data-upload-url,
// with {package} and {name} in it; a version, if given, as ?version=) and shows the upload's progress.
(function () {
  'use strict';
  var form = document.getElementById('upload');
  if (!form) {
    return;
  }
  var progress = document.getElementById('progress');
  var status = document.getElementById('upload-status');
  function show(percent, text) {
    progress.value = percent;
    progress.textContent = percent + ' %';
    status.textContent = text;
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var file = document.getElementById('file').files[0];
    var pkg = document.getElementById('package').value.trim();
    var version = document.getElementById('version').value.trim();
    if (!file || !pkg) {
      status.textContent = 'Choose a package ID and a file.';
      return;
    }
    var url = form.getAttribute('data-upload-url').replace('{package}', encodeURIComponent(pkg))
      .replace('{name}', encodeURIComponent(file.name)) + (version ? '?version=' + encodeURIComponent(version) : '');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('X-CSRF-Token', form.getAttribute('data-csrf'));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', function (e) {
      if (e.lengthComputable) {
        var p = Math.floor(e.loaded * 100 / e.total);
        show(p, 'Sending ' + file.name + ': ' + p + ' %');
      }
    });
    xhr.addEventListener('load', function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        show(100, 'Uploaded ' + file.name + ' to package ' + pkg + '. Reload the page to see it in the list.');
        form.setAttribute('data-state', 'done');
      } else {
        var message = String(xhr.status);
        try {
          message = JSON.parse(xhr.responseText).error || message;
        } catch (ignored) {
          // not JSON: keep the status
        }
        status.textContent = 'Upload refused: ' + message;
        form.setAttribute('data-state', 'failed');
      }
    });
    xhr.addEventListener('error', function () {
      status.textContent = 'Upload failed: the connection was lost.';
      form.setAttribute('data-state', 'failed');
    });
    form.setAttribute('data-state', 'sending');
    show(0, 'Sending ' + file.name + '...');
    xhr.send(file);
  });
}());

-- Orthanc Lua script: forward each stable study sent by the DXA scanner (AE APEX01) to the dxaparse
-- hook (modality DXAPARSE in DicomModalities). See docs/pacs.md; tests/test_pacs_orthanc.py runs it.
function OnStableStudy(studyId, tags, metadata)
  local origin = ParseJson(RestApiGet('/studies/' .. studyId .. '/instances'))[1]
  local meta = ParseJson(RestApiGet('/instances/' .. origin['ID'] .. '/metadata?expand'))
  if meta['RemoteAET'] == 'APEX01' then
    RestApiPost('/modalities/DXAPARSE/store', '{"Resources": ["' .. studyId .. '"]}')
  end
end

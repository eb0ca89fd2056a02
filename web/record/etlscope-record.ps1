<#
.SYNOPSIS
  etlscope-record.ps1 — records a kernel trace with WPR or xperf for N seconds and uploads
  it to an etlscope server with the curl.exe that ships with Windows 10 and later, then
  prints the link to the run.

.EXAMPLE
  # elevated PowerShell; reproduce the freeze while it records
  .\etlscope-record.ps1 -Server http://etlscope.example:8080 -Seconds 60
  .\etlscope-record.ps1 -Server http://etlscope.example:8080 -Tool xperf -Name "FS01 after update"

.NOTES
  WPR records with the server's profile (/record/etlscope.wprp, memory mode: circular,
  at most 1 GiB). xperf records the same kernel flags into a circular file of at most
  1024 MB. Both need an elevated prompt. The flags and their arithmetic are documented in
  etlscope's ingest/etl/README.md ("Recording profile").
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][string]$Server,
    [ValidateRange(5, 3600)][int]$Seconds = 60,
    [ValidateSet('wpr', 'xperf')][string]$Tool = 'wpr',
    [string]$ProfilePath = '',
    [string]$OutDir = $env:TEMP,
    [string]$Name = '',
    [string]$Token = ''
)
$ErrorActionPreference = 'Stop'

# The same set as etlscope.wprp's keywords and the "Record a trace" page's xperf line.
$KernelFlags = @('PROC_THREAD', 'LOADER', 'DPC', 'INTERRUPT', 'PROFILE', 'CSWITCH', 'DISPATCHER',
    'SYSCALL', 'DISK_IO', 'DISK_IO_INIT', 'FILE_IO', 'FILE_IO_INIT', 'FILENAME',
    'FLT_IO_INIT', 'FLT_IO', 'FLT_FASTIO', 'FLT_IO_FAILURE')
$StackFlags = @('Profile', 'CSwitch', 'ReadyThread')
$BufferArgs = @('-BufferSize', '1024', '-MinBuffers', '256', '-MaxBuffers', '512')

function Invoke-Checked {
    param([string]$Exe, [string[]]$Arguments)
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Curl {
    # Returns @{ Status = <HTTP status>; Body = <object from JSON> }.
    param([string[]]$Arguments)
    $bodyFile = Join-Path $OutDir 'etlscope-response.json'
    $auth = @()
    if ($Token) { $auth = @('-H', "Authorization: Bearer $Token") }
    $status = & curl.exe -sS -o $bodyFile -w '%{http_code}' @auth @Arguments
    if ($LASTEXITCODE -ne 0) { throw "curl.exe failed with exit code $LASTEXITCODE" }
    $text = Get-Content -Raw -Path $bodyFile
    Remove-Item -Path $bodyFile
    $body = $null
    if ($text) { $body = $text | ConvertFrom-Json }
    return @{ Status = [int]$status; Body = $body }
}

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Kernel tracing needs an elevated PowerShell (Run as administrator).'
}
$Server = $Server.TrimEnd('/')
$stamp = Get-Date -Format 'yyyyMMdd-HHmmss'
$fileName = "$env:COMPUTERNAME-$stamp.etl"
$etl = Join-Path $OutDir $fileName
if (-not $Name) { $Name = "$env:COMPUTERNAME $stamp" }

if ($Tool -eq 'wpr') {
    if (-not $ProfilePath) {
        $ProfilePath = Join-Path $OutDir 'etlscope.wprp'
        Invoke-Checked 'curl.exe' @('-sS', '--fail', '-o', $ProfilePath, "$Server/record/etlscope.wprp")
    }
    Invoke-Checked 'wpr.exe' @('-start', "$ProfilePath!etlscope")
    Write-Host "Recording for $Seconds s with WPR: reproduce the problem now."
    Start-Sleep -Seconds $Seconds
    Invoke-Checked 'wpr.exe' @('-stop', $etl)
} else {
    $kernelFile = Join-Path $OutDir "$env:COMPUTERNAME-$stamp.kernel.etl"
    $onArgs = @('-on', ($KernelFlags -join '+'), '-stackwalk', ($StackFlags -join '+')) + $BufferArgs +
        @('-f', $kernelFile, '-MaxFile', '1024', '-FileMode', 'Circular')
    Invoke-Checked 'xperf.exe' $onArgs
    Write-Host "Recording for $Seconds s with xperf: reproduce the problem now."
    Start-Sleep -Seconds $Seconds
    Invoke-Checked 'xperf.exe' @('-d', $etl)
    Remove-Item -Path $kernelFile -ErrorAction SilentlyContinue
}

$query = 'file=' + [Uri]::EscapeDataString($fileName) + '&name=' + [Uri]::EscapeDataString($Name)
Write-Host "Uploading $etl ($((Get-Item $etl).Length) bytes) to $Server"
$up = Invoke-Curl @('-X', 'POST', '-H', 'Content-Type: application/octet-stream', '-T', $etl, "$Server/api/uploads?$query")
if ($up.Status -ne 202) { throw "upload refused (HTTP $($up.Status)): $($up.Body.error)" }

# The job is queued, then ingested; poll its status until it is done or failed.
$statusUrl = "$Server$($up.Body.status_url)"
do {
    Start-Sleep -Seconds 2
    $job = Invoke-Curl @($statusUrl)
    if ($job.Status -ne 200) { throw "job status failed (HTTP $($job.Status)): $($job.Body.error)" }
} while ($job.Body.state -ne 'done' -and $job.Body.state -ne 'failed')
if ($job.Body.state -eq 'failed') { throw "ingest failed: $($job.Body.error)" }

$run = $job.Body.run
Write-Host "Run: $Server/runs/$($run.id)"
Write-Host "Edit token (keep it to rename or delete the run): $($run.edit_token)"
if ($run.partial) { Write-Host 'The run is partial: see its warnings.' }
